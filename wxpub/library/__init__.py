"""wxpub.library.service."""
