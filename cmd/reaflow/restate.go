package main

import (
	"flag"

	"github.com/reaflow/reaflow/client"
)

// restateFlags are the addresses of the Restate server a command talks to.
// --ingress and --admin each take one URL (a single node or a load
// balancer) or several comma-separated ones (the nodes of a cluster),
// tried in order: a request goes to the address that answered last and
// moves on to the next when that one cannot be reached.
type restateFlags struct {
	ingress string
	admin   string
	token   string
	// deployToken is sent to the Deploy and schedule handlers, from
	// deployTokenFile when it is set (see addDeployTokenFlag).
	deployToken, deployTokenFile string

	// c is built once per command, so that every request of the command
	// starts from the address that answered last.
	c *client.Client
}

// addRestateFlags registers --ingress, --admin and --token on fs, with
// environment variables as defaults.
func (m *Main) addRestateFlags(fs *flag.FlagSet) *restateFlags {
	return m.addRestateFlagsNamed(fs, "token")
}

// addRestateFlagsNamed is addRestateFlags with Restate's bearer token
// under another flag name, for a command whose --token is its own.
func (m *Main) addRestateFlagsNamed(fs *flag.FlagSet, tokenFlag string) *restateFlags {
	f := &restateFlags{}
	fs.StringVar(&f.ingress, "ingress", m.env("REAFLOW_INGRESS_URL", "http://127.0.0.1:8080"), "Restate ingress URL, or several comma-separated (the nodes of a cluster), tried in order (env REAFLOW_INGRESS_URL)")
	fs.StringVar(&f.admin, "admin", m.env("REAFLOW_ADMIN_URL", "http://127.0.0.1:9070"), "Restate admin URL, or several comma-separated, tried in order (env REAFLOW_ADMIN_URL)")
	fs.StringVar(&f.token, tokenFlag, m.Getenv("REAFLOW_TOKEN"), "bearer token for a secured Restate (env REAFLOW_TOKEN)")
	return f
}

// addDeployTokenFlag registers --deploy-token-file on fs, for the
// commands that change what an endpoint runs (deploy, schedule changes,
// redrive, the console's actions):
// their client sends the endpoint's deploy token, from the file or else
// from REAFLOW_DEPLOY_TOKEN.
func (m *Main) addDeployTokenFlag(fs *flag.FlagSet, f *restateFlags) {
	f.deployToken = m.Getenv("REAFLOW_DEPLOY_TOKEN")
	fs.StringVar(&f.deployTokenFile, "deploy-token-file", m.Getenv("REAFLOW_DEPLOY_TOKEN_FILE"), "file holding the endpoint's deploy token, sent in the "+client.DeployTokenHeader+" header (env REAFLOW_DEPLOY_TOKEN_FILE, or the token itself in REAFLOW_DEPLOY_TOKEN)")
}

// client returns the command's client for the Restate the flags name.
func (f *restateFlags) client() (*client.Client, error) {
	if f.c == nil {
		if f.deployTokenFile != "" {
			token, err := readTokenFile("--deploy-token-file", f.deployTokenFile)
			if err != nil {
				return nil, err
			}
			f.deployToken = token
		}
		c, err := client.New(f.ingress, f.admin, client.WithToken(f.token), client.WithDeployToken(f.deployToken))
		if err != nil {
			return nil, err
		}
		f.c = c
	}
	return f.c, nil
}
