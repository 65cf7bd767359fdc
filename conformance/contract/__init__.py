"""The contract as data: the catalogue, schema access, and coverage of the spec and documents."""
