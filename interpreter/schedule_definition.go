package interpreter

import (
	"strings"

	restate "github.com/restatedev/sdk-go"
)

// A schedule keeps the text of the definition it fires, so that a fire
// asks the registry nothing. A version named by label or hash never
// changes content (Deploy refuses to reuse a label), so the text of a
// pinned schedule stays right. A schedule of the latest version follows
// its definition: the definitions object keeps a follower entry for it
// and tells it of every new version, and the schedule drops its text and
// fetches the latest again at its next fire.
const (
	// firedDefinitionState, on a schedule object, holds the DeployRequest
	// its fires run; absent until fetched, and after a deploy of the
	// definition it follows.
	firedDefinitionState = "definition"
	// followerState, on a definitions object, + schedule name holds the
	// generation of the schedule when it asked to follow.
	followerState = "follower:"
)

// followRequest asks the definitions object to tell a schedule of the
// versions deployed after Hash, the one the schedule keeps.
type followRequest struct {
	Schedule   string `json:"schedule"`
	Generation uint64 `json:"generation"`
	Hash       string `json:"hash,omitempty"`
}

// definitionDeployed tells a schedule that its definition has a new
// version.
type definitionDeployed struct {
	Definition string `json:"definition"`
}

// addFollower is the definitions object's Follow handler: it keeps a follower
// entry for the schedule, and tells the schedule at once when a version
// other than the one it keeps was deployed meanwhile. A schedule sends
// Follow without waiting for it, so fires and creates do not queue behind
// one another on the definition; the comparison closes the gap between
// the schedule's read of the latest version and its entry.
func addFollower(ctx restate.ObjectContext, req followRequest) (restate.Void, error) {
	gen, err := restate.Get[uint64](ctx, followerState+req.Schedule)
	if err != nil {
		return restate.Void{}, err
	}
	restate.Set(ctx, followerState+req.Schedule, max(gen, req.Generation))
	all, err := restate.Get[[]DefinitionVersion](ctx, versionsState)
	if err != nil {
		return restate.Void{}, err
	}
	if len(all) > 0 && all[len(all)-1].Hash != req.Hash {
		restate.ObjectSend(ctx, ScheduleService, req.Schedule, "DefinitionDeployed").Send(definitionDeployed{Definition: restate.Key(ctx)})
	}
	return restate.Void{}, nil
}

// removeFollower is the definitions object's Unfollow handler: a schedule that
// no longer runs the latest version of the definition, as of generation
// req.Generation. A follower entry of a later generation (the schedule
// followed again since) stays.
func removeFollower(ctx restate.ObjectContext, req followRequest) (restate.Void, error) {
	gen, err := restate.Get[uint64](ctx, followerState+req.Schedule)
	if err == nil && gen <= req.Generation {
		restate.Clear(ctx, followerState+req.Schedule)
	}
	return restate.Void{}, err
}

// tellFollowers sends every follower of the definition a
// definitionDeployed; Deploy calls it for each new version. The keys come
// from the journal, so a replay sends the same messages.
func tellFollowers(ctx restate.ObjectContext) error {
	keys, err := restate.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if name, ok := strings.CutPrefix(k, followerState); ok {
			restate.ObjectSend(ctx, ScheduleService, name, "DefinitionDeployed").Send(definitionDeployed{Definition: restate.Key(ctx)})
		}
	}
	return nil
}

// follows tells whether the schedule runs the latest version of def.
func (s *scheduler) follows(def string) bool {
	return s.rec != nil && s.spec.definition == def && s.spec.version == ""
}

// scheduleDefinitionDeployed is the schedule's DefinitionDeployed
// handler: a schedule that follows the definition drops the text it
// keeps; any other (deleted, changed to another workflow or to a pinned
// version) asks not to be told again.
func (in *interpreter) scheduleDefinitionDeployed(ctx restate.ObjectContext, msg definitionDeployed) error {
	s, err := in.loadSchedule(ctx)
	if err != nil {
		return err
	}
	if s.follows(msg.Definition) {
		restate.Clear(ctx, firedDefinitionState)
		return nil
	}
	restate.ObjectSend(ctx, DefinitionsService, msg.Definition, "Unfollow").Send(followRequest{Schedule: s.name, Generation: s.gen})
	return nil
}

// fetchDefinition reads the definition spec c fires from the registry:
// the pinned version, or the latest.
func fetchDefinition(ctx restate.Context, c compiledSpec) (DeployRequest, error) {
	return restate.Object[DeployRequest](ctx, DefinitionsService, c.definition, "Get").Request(c.version)
}

// follow has the definitions object tell a schedule of the latest version
// of new deploys; hash is the version the schedule keeps. A pinned
// schedule follows nothing.
func (s *scheduler) follow(hash string) {
	if s.spec.version == "" {
		restate.ObjectSend(s.ctx, DefinitionsService, s.spec.definition, "Follow").Send(followRequest{Schedule: s.name, Generation: s.gen, Hash: hash})
	}
}

// firedDefinition is the definition the schedule's fires run: the one it
// keeps, or else fetched and kept.
func (s *scheduler) firedDefinition() (DeployRequest, error) {
	if s.fired != nil {
		return *s.fired, nil
	}
	kept, err := restate.Get[*DeployRequest](s.ctx, firedDefinitionState)
	if err != nil {
		return DeployRequest{}, err
	}
	if kept == nil {
		d, err := fetchDefinition(s.ctx, s.spec)
		if err != nil {
			return DeployRequest{}, err
		}
		prog, err := s.in.load(d.Definition, d.File)
		if err != nil {
			return DeployRequest{}, badRequest("deployed definition "+s.spec.definition+" does not load", err)
		}
		s.follow(prog.Hash)
		restate.Set(s.ctx, firedDefinitionState, d)
		kept = &d
	}
	s.fired = kept
	return *kept, nil
}
