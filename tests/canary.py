"""The secrets canary: a recognisable fake key that must never appear in any output."""

CANARY = "sk-CANARY-0123456789abcdefCANARY"
