"""wxpub.releases.service."""
