// mpixx/mpixx.hpp - the umbrella header: everything mpixx offers.
#pragma once

#include <mpixx/version.hpp>
#include <mpixx/error.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/buffer.hpp>
#include <mpixx/layout.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/status.hpp>
#include <mpixx/message.hpp>
#include <mpixx/communicator.hpp>
#include <mpixx/group.hpp>
#include <mpixx/topology.hpp>
#include <mpixx/halo.hpp>
#include <mpixx/info.hpp>
#include <mpixx/file.hpp>
#include <mpixx/window.hpp>
#include <mpixx/sync.hpp>
#include <mpixx/partition.hpp>
#include <mpixx/format.hpp>
#include <mpixx/print.hpp>
#include <mpixx/debug.hpp>
#include <mpixx/task_farm.hpp>
#include <mpixx/executor.hpp>
