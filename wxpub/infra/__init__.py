"""wxpub.infra."""
