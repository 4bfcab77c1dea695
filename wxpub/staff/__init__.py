"""wxpub.staff."""
