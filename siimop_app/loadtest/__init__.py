"""A load tool that behaves like browsers on the Reflex event socket (issue 13); see ``__main__`` for the command."""
