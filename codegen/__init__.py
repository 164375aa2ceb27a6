"""The code generator: schema/*.toml -> validated model -> view models -> Jinja templates -> Python."""
