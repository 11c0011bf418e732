#!/usr/bin/env python3
"""sigvalue.py CAB OUT: writes the SignerInfo's signature value of CAB's
Authenticode signature to OUT (the content a countersignature covers)."""
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
# pylint: disable=wrong-import-position
from der import cab_signature, children, first_signer_info, signed_data

cab = open(sys.argv[1], "rb").read()
_, sig = cab_signature(cab)
_, sd = signed_data(sig)
si = first_signer_info(sig, sd)
val = [p for p in children(sig, si[2], si[3]) if p[0] == 0x04][0]
open(sys.argv[2], "wb").write(sig[val[2]:val[3]])
