"""The rule book of DOMAIN.md section 4: pure functions, no I/O and no clock."""
