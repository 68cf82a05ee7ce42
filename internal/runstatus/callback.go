package runstatus

import (
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"slices"
	"strings"
)

// firstAwakeable is the signal index Restate gives the first callback
// (awakeable) an invocation creates; each later one takes the next index.
// Indexes below it are Restate's own signals, such as cancellation (1).
const firstAwakeable = 17

// cancelSignal is the index of the signal with which Restate cancels an
// invocation.
const cancelSignal = 1

// awakeableID returns the id of the callback an invocation created with
// the given signal index: "sign_1" and the URL-safe base64 of the
// invocation's partition key (8 bytes), its UUID (16 bytes) and the index
// (4 bytes), all big-endian. The invocation id is "inv_1" and the
// partition key and UUID in 11 and 22 base62 digits (0-9a-zA-Z), each
// number with its bytes reversed. Restate does not journal the creation of
// a callback, so this is how status names it; "" when the invocation id is
// not in that form.
func awakeableID(invocationID string, index uint32) string {
	digits, ok := strings.CutPrefix(invocationID, "inv_1")
	if !ok || len(digits) != 11+22 {
		return ""
	}
	partitionKey, ok1 := new(big.Int).SetString(digits[:11], 62)
	uuid, ok2 := new(big.Int).SetString(digits[11:], 62)
	if !ok1 || !ok2 || !partitionKey.IsUint64() || uuid.BitLen() > 128 {
		return ""
	}
	raw := make([]byte, 0, 8+16+4)
	raw = binary.LittleEndian.AppendUint64(raw, partitionKey.Uint64())
	u := uuid.FillBytes(make([]byte, 16))
	slices.Reverse(u)
	raw = append(raw, u...)
	raw = binary.BigEndian.AppendUint32(raw, index)
	return "sign_1" + base64.RawURLEncoding.EncodeToString(raw)
}

// CallbackInvocation returns the id of the invocation that created the
// callback id, as the admin API names it: the inverse of awakeableID for
// callbacks ("sign_1") and durable promises ("prom_1"). "" when id is not
// in a format it knows.
func CallbackInvocation(id string) string {
	var encoded string
	for _, prefix := range []string{"sign_1", "prom_1"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			encoded = strings.TrimRight(rest, "=")
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(raw) != 8+16+4 {
		return ""
	}
	partitionKey := new(big.Int).SetUint64(binary.LittleEndian.Uint64(raw[:8]))
	reversed := slices.Clone(raw[8:24])
	slices.Reverse(reversed)
	uuid := new(big.Int).SetBytes(reversed)
	return "inv_1" + base62(partitionKey, 11) + base62(uuid, 22)
}

func base62(n *big.Int, width int) string {
	s := n.Text(62) // digits 0-9a-zA-Z
	return strings.Repeat("0", max(0, width-len(s))) + s
}
