"""Storage: the schema, its migrations, and one repository per stored noun (each on one
connection, returning domain values); `repositories.Repositories` opens them all together."""
