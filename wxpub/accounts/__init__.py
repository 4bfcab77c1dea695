"""The office's WeChat official accounts as data: registry, credentials and the admin use cases."""
