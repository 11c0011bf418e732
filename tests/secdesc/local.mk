# tests/secdesc
