// Command dlc compiles neural-network models written in the dlc language
// into Go packages: dlc build model.dl. Run dlc -h for the commands.
package main

import (
	"os"

	"github.com/dlc-lang/dlc/internal/driver"
)

func main() {
	os.Exit(driver.Main(os.Args[1:], os.Stdout, os.Stderr))
}
