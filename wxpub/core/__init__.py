"""wxpub.core."""
