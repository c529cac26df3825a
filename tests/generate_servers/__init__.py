"""Teacher servers for the generate tests: a fixture server and a tiny real model server."""
