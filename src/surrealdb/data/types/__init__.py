"""The official module paths `surrealdb.data.types.*`, each re-exporting our value types."""
