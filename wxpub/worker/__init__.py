"""wxpub.worker."""
