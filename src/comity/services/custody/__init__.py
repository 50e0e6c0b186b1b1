"""Regional custody: records in the regions, their keys, ingest, moves, erasure, snapshots for
holds, and the provider's own data sources the regions read."""
