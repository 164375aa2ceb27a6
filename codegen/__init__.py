"""The code generator: schema/*.toml -> validated model -> view models -> templates -> Python."""
