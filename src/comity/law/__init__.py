"""The law engine: Cedar policies and YAML facts, evaluated as of a date. Pure of the clock."""
