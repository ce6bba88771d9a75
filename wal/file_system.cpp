#include "wal/file_system.hpp"

namespace hypertide::wal {

file::~file() = default;

file_system::~file_system() = default;

} // namespace hypertide::wal
