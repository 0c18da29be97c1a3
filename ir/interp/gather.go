package interp

import (
	"fmt"
	"math"
)

// tableRow checks that id names a row of a table with rows rows.
func tableRow(id float64, rows int) (int, error) {
	if id != math.Trunc(id) || id < 0 || int(id) >= rows {
		return 0, fmt.Errorf("id %v is not a row of a table with %d rows", id, rows)
	}
	return int(id), nil
}

// evalGather (table, ids) is table[ids[...], :]: one table row per id
// (an embedding lookup).
func evalGather(c *call) (*Tensor, error) {
	table, ids := c.args[0], c.args[1]
	d := table.Shape[1]
	out := NewTensor(c.out...)
	for i, id := range ids.Data {
		r, err := tableRow(id, table.Shape[0])
		if err != nil {
			return nil, err
		}
		copy(out.Data[i*d:(i+1)*d], table.Data[r*d:(r+1)*d])
	}
	return out, nil
}

// evalScatterAdd (ids, dy) {shape} is zeros(shape) with row i of dy added
// to row ids[i]: the adjoint of gather in its table.
func evalScatterAdd(c *call) (*Tensor, error) {
	ids, dy := c.args[0], c.args[1]
	out := NewTensor(c.out...)
	d := c.out[1]
	for i, id := range ids.Data {
		r, err := tableRow(id, c.out[0])
		if err != nil {
			return nil, err
		}
		for k := 0; k < d; k++ {
			out.Data[r*d+k] += dy.Data[i*d+k]
		}
	}
	return out, nil
}
