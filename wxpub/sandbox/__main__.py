"""`python -m wxpub.sandbox ...` runs the same command as `wxpub sandbox ...`."""
from wxpub.sandbox.command import sandbox

if __name__ == "__main__":
    sandbox(prog_name="python -m wxpub.sandbox")
