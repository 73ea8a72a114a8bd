package source

import (
	"context"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/rpmread"
)

func openRPM(ctx context.Context, path string, opt Options) (*pkgmodel.Package, error) {
	return rpmread.Read(ctx, path, rpmread.Options{XZ: opt.XZ, Budget: opt.Budget})
}
