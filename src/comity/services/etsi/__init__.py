"""ETSI TS 103 120 (HI-1): demands in the standard format in, status and deliveries out."""
