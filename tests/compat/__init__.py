"""Code written for the official `surrealdb` SDK (2.0.0) runs on this client: its names, module
paths and call shapes, each used the official way."""
