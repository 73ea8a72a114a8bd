package source

import (
	"context"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

func openRPM(ctx context.Context, path string, opt Options) (*pkgmodel.Package, error) {
	return nil, &pkgmodel.Error{Package: path, Msg: "reading .rpm packages is not built yet"}
}
