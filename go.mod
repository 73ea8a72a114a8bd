module github.com/systemd-harden/systemd-harden

go 1.26.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/urfave/cli/v3 v3.14.0
)

require (
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/sys v0.26.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
