"""The paper loop for offline sites: print registers and sign-off sheets, import what was written on them."""
