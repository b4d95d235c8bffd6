"""Config-driven study pipeline: validate a study TOML, run its steps, write outputs atomically."""
