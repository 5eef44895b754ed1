"""Backups of a whole instance: a consistent database snapshot, the evidence store files it
refers to and the instance's keys, with a manifest of hashes; verifying and restoring them."""
