package main

import (
	"context"
	"fmt"
	"io"
)

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "-c FILE", stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "akship validate: -c FILE is required")
		return 2
	}
	if _, err := loadConfig(*path); err != nil {
		fmt.Fprintf(stderr, "%s is invalid:\n%s", *path, describeErrors(err))
		return 1
	}
	fmt.Fprintf(stdout, "%s is valid\n", *path)
	return 0
}
