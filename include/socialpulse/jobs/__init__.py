"""One function per pipeline step, taking plain arguments: what each DAG task calls."""
