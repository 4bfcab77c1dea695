"""wxpub.publishing."""
