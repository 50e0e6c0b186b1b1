"""Assessment: the law engine behind the ``Assessor`` port, and the one path from a stored
demand to a stored assessment."""
