# src/secdesc: SDDL and self-relative security descriptors.
