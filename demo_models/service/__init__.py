"""What joins the machine and the human side: the command line, health checks, first start, report inputs."""
