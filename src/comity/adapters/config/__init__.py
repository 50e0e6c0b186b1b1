"""Loading the deployment file."""
