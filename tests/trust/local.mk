# tests/trust
