// How the CUDA kernels cut arrays for 16-byte access (src/cuda/vector_split.h): host-only, so it
// runs on machines without a GPU. Every element is covered exactly once, vectors start on a
// 16-byte boundary for every pointer, and the bias launch shape covers every row and column.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gem/numeric.h"
#include "src/cuda/vector_split.h"

namespace gem::cuda {
namespace {

alignas(64) unsigned char arena[4096];

const void* at(std::size_t byte_offset) { return arena + byte_offset; }

TEST(VectorSplit, AlignedPointersGoStraightToVectors) {
  const VectorSplit s = split_for_vectors(100, sizeof(float), {at(0), at(64)});
  EXPECT_EQ(s.head, 0u);
  EXPECT_EQ(s.vectors, 25u);
  EXPECT_EQ(s.tail, 0u);
}

TEST(VectorSplit, CommonOffsetGivesHeadVectorsTail) {
  for (std::size_t elem : {std::size_t(2), std::size_t(4), std::size_t(8)}) {
    const std::size_t lanes = kVectorBytes / elem;
    for (std::size_t off = 0; off < lanes; ++off) {
      for (std::size_t n : {std::size_t(0), std::size_t(1), lanes - 1, lanes, lanes + 1, 3 * lanes + 2, std::size_t(1001)}) {
        const VectorSplit s = split_for_vectors(n, elem, {at(off * elem), at(off * elem + 512), at(off * elem + 1024)});
        EXPECT_EQ(s.head + s.vectors * lanes + s.tail, n) << "elem " << elem << " off " << off << " n " << n;
        EXPECT_LT(s.tail, lanes);
        if (s.vectors > 0) {
          EXPECT_EQ((off * elem + s.head * elem) % kVectorBytes, 0u) << "first vector must be aligned";
          EXPECT_EQ(s.head, (lanes - off) % lanes);
        }
      }
    }
  }
}

TEST(VectorSplit, DifferentOffsetsFallBackToScalars) {
  const VectorSplit s = split_for_vectors(1000, sizeof(float), {at(0), at(4)});
  EXPECT_EQ(s.head, 1000u);
  EXPECT_EQ(s.vectors, 0u);
  EXPECT_EQ(s.tail, 0u);
  const VectorSplit odd = split_for_vectors(10, sizeof(half), {at(1), at(1)});  // not element-aligned
  EXPECT_EQ(odd.head, 10u);
  EXPECT_EQ(odd.vectors, 0u);
}

TEST(VectorSplit, LanesPerType) {
  EXPECT_EQ(kVectorLanes<double>, 2);
  EXPECT_EQ(kVectorLanes<float>, 4);
  EXPECT_EQ(kVectorLanes<half>, 8);
  EXPECT_EQ(kVectorLanes<bfloat16>, 8);
}

TEST(BiasColumnGroup, VectorsOnlyWhenEveryRowStartsAligned) {
  EXPECT_EQ(row_column_group(64, sizeof(float), {at(0), at(256), at(512)}), 4);
  EXPECT_EQ(row_column_group(66, sizeof(float), {at(0), at(256), at(512)}), 1);  // rows drift off 16 bytes
  EXPECT_EQ(row_column_group(64, sizeof(float), {at(0), at(260), at(512)}), 1);  // one pointer misaligned
  EXPECT_EQ(row_column_group(24, sizeof(half), {at(0), at(16), at(32)}), 8);
  EXPECT_EQ(row_column_group(3, sizeof(double), {at(0), at(16), at(32)}), 1);
}

TEST(BiasShape, CoversEveryColumnAndRowWith256Threads) {
  const std::size_t waves[] = {1, 132 * 8};
  for (std::size_t wave : waves) {
    for (int group : {1, 4, 8}) {
      for (std::size_t channels : {std::size_t(1), std::size_t(3), std::size_t(16), std::size_t(64), std::size_t(1000),
                                   std::size_t(4096)}) {
        if (group > 1 && channels % group != 0) continue;
        for (std::size_t rows : {std::size_t(1), std::size_t(5), std::size_t(1000), std::size_t(1) << 20}) {
          const BiasShape s = bias_shape(rows, channels, group, wave);
          EXPECT_EQ(s.block_x * s.block_y, 256u);
          EXPECT_LE(s.block_x, 32u);
          EXPECT_GE(static_cast<std::size_t>(s.grid_x) * s.block_x * group, channels) << "columns covered";
          EXPECT_LT(static_cast<std::size_t>(s.grid_x - 1) * s.block_x * group, channels) << "no idle column block";
          EXPECT_GE(s.grid_y, 1u);
          EXPECT_LE(s.grid_y, 65535u);
          EXPECT_LE(static_cast<std::size_t>(s.grid_y - 1) * s.block_y, rows) << "no block without rows";
          if (wave > 1 && s.grid_x < wave) EXPECT_LE(static_cast<std::size_t>(s.grid_x) * s.grid_y, wave);
        }
      }
    }
  }
}

TEST(BiasShape, NarrowRowsPackWholeRowsIntoAWarp) {
  const BiasShape s = bias_shape(1 << 16, 16, 4, 1056);  // 16 floats per row: 4 vectors
  EXPECT_EQ(s.block_x, 4u);
  EXPECT_EQ(s.block_y, 64u);
  EXPECT_EQ(s.grid_x, 1u);
  EXPECT_EQ(s.grid_y, 1024u);  // rows / 64 blocks of rows, under the wave of 1056
}

}  // namespace
}  // namespace gem::cuda
