"""wxpub.notify."""
