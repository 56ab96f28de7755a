// Names in the HDF5 image shard, shared by writer and reader; docs/data-format.md describes them.
#pragma once

namespace tetra::data::schema {

inline constexpr char kFormatAttr[] = "format";
inline constexpr char kFormatValue[] = "tetra-shard";
inline constexpr char kVersionAttr[] = "format_version";
inline constexpr char kModalityAttr[] = "modality";
inline constexpr char kImageModality[] = "image";
inline constexpr char kNumSamplesAttr[] = "num_samples";

inline constexpr char kGroup[] = "images";
inline constexpr char kData[] = "data";
inline constexpr char kOffsets[] = "offsets";
inline constexpr char kEncoding[] = "encoding";
inline constexpr char kHeight[] = "height";
inline constexpr char kWidth[] = "width";
inline constexpr char kSourceId[] = "source_id";

// Chunk of the byte blob. No filter, so the reader reads one sample's byte range straight from the
// file (it turns the chunk cache off); chunked so h5repack can add a filter without a format change.
inline constexpr unsigned long long kDataChunkBytes = 1 << 20;

}  // namespace tetra::data::schema
