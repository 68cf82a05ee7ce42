// Package testkit holds, beneath it, what tests and operators use to run
// reaflow rather than reaflow itself: the sandbox providers, the
// restate-server launcher, the local dev stack, the chaos soak, the
// cluster and benchmark drivers and the child-process helper. The product's
// packages (dsl, interpreter, activities, rea) never import them; the CLI
// does where it starts a local stack or server for a person (dev, demo,
// sandbox, and test, whose scenario runner starts a restate-server).
package testkit
