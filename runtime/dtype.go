package runtime

// DType names the element type of a safetensors tensor, spelled as in the
// file header ("F32", "I64", ...).
type DType string

// The element types this package reads and writes. Data of any of them can be
// carried in a Tensor; typed conversions exist for F32, F64, I32 and I64.
const (
	DTypeBool   DType = "BOOL"
	DTypeU8     DType = "U8"
	DTypeI8     DType = "I8"
	DTypeF8E5M2 DType = "F8_E5M2"
	DTypeF8E4M3 DType = "F8_E4M3"
	DTypeF8E8M0 DType = "F8_E8M0"
	DTypeI16    DType = "I16"
	DTypeU16    DType = "U16"
	DTypeF16    DType = "F16"
	DTypeBF16   DType = "BF16"
	DTypeI32    DType = "I32"
	DTypeU32    DType = "U32"
	DTypeF32    DType = "F32"
	DTypeC64    DType = "C64"
	DTypeF64    DType = "F64"
	DTypeI64    DType = "I64"
	DTypeU64    DType = "U64"
)

// dtypeInfo is one row of the dtype table: the element size in bytes and the
// rank of the dtype in the reference implementation's Dtype enum, which its
// writer uses to order tensors (larger rank first).
type dtypeInfo struct {
	size int
	rank int
}

// dtypes lists the byte-sized dtypes of the reference implementation in the
// order of its Dtype enum. Sub-byte types (F4, F6_*) are not supported.
var dtypes = map[DType]dtypeInfo{
	DTypeBool:   {1, 0},
	DTypeU8:     {1, 4},
	DTypeI8:     {1, 5},
	DTypeF8E5M2: {1, 6},
	DTypeF8E4M3: {1, 7},
	DTypeF8E8M0: {1, 8},
	DTypeI16:    {2, 9},
	DTypeU16:    {2, 10},
	DTypeF16:    {2, 11},
	DTypeBF16:   {2, 12},
	DTypeI32:    {4, 13},
	DTypeU32:    {4, 14},
	DTypeF32:    {4, 15},
	DTypeC64:    {8, 16},
	DTypeF64:    {8, 17},
	DTypeI64:    {8, 18},
	DTypeU64:    {8, 19},
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypes[d].size }

// Valid reports whether d is a dtype this package knows.
func (d DType) Valid() bool {
	_, ok := dtypes[d]
	return ok
}
