"""wxpub.editorial."""
