// mpixx/mpixx.hpp - the umbrella header: everything mpixx offers (the light typed core of
// <mpixx/core.hpp>, plus objects, I/O, RMA, {fmt} formatting, print, the task farm and the executor).
#pragma once

#include <mpixx/core.hpp>
#include <mpixx/object_messaging.hpp>
#include <mpixx/serialize.hpp>
#include <mpixx/halo.hpp>
#include <mpixx/file.hpp>
#include <mpixx/window.hpp>
#include <mpixx/sync.hpp>
#include <mpixx/partition.hpp>
#include <mpixx/format.hpp>
#include <mpixx/print.hpp>
#include <mpixx/debug.hpp>
#include <mpixx/task_farm.hpp>
#include <mpixx/executor.hpp>
