// mpixx/core.hpp - the light typed core: environment, errors, datatypes and layouts, status and
// messages, communicators (groups, topologies), typed point-to-point, requests, collectives and
// reduction operations - without the serializer, {fmt}, print, the task farm or the executor.
//
// The communicator is the same class everywhere: its object members (comm.send(std::map...),
// comm.bcast(obj), ...) are declared here and defined by <mpixx/object_messaging.hpp>. Calling one
// with only this header included stops compilation with a static_assert naming that header.
// <mpixx/mpixx.hpp> includes everything.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/version.hpp>
#include <mpixx/error.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/buffer.hpp>
#include <mpixx/layout.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/status.hpp>
#include <mpixx/message.hpp>
#include <mpixx/info.hpp>
#include <mpixx/communicator.hpp>
#include <mpixx/group.hpp>
#include <mpixx/topology.hpp>
#include <mpixx/point_to_point.hpp>
#include <mpixx/nonblocking.hpp>
#include <mpixx/request.hpp>
#include <mpixx/request_pool.hpp>
#include <mpixx/collectives.hpp>
#include <mpixx/ops.hpp>
