"""Print the current TOTP code for a secret: ``python scripts/totp.py SECRET``.

For the demo and for trying the console without an authenticator app; the secret comes from
``comity init --demo`` or ``comity users totp USER``.
"""

import sys

import pyotp

if len(sys.argv) != 2:
    sys.exit("usage: python scripts/totp.py SECRET")
print(pyotp.TOTP(sys.argv[1].strip().replace(" ", "")).now())
