/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel API drift this module meets between the releases it supports
 * (Debian's 6.1 and 6.12, the Raspberry Pi's 6.12), kept in one place. The
 * DAEDALUS_HAVE_* macros come from Kbuild, which looks at the headers.
 */
#ifndef _DAEDALUS_COMPAT_H_
#define _DAEDALUS_COMPAT_H_

#include <linux/videodev2.h>

/* The stateful AV1 fourcc is younger than the kernels we build against. */
#ifndef V4L2_PIX_FMT_AV1
#define V4L2_PIX_FMT_AV1	v4l2_fourcc('A', 'V', '0', '1')
#endif

/*
 * AV1's stateless uAPI came in 6.5; where it is missing the stateless node
 * does not offer AV1 (daedalus_sl_kernel_codecs()), and the fourcc only
 * fills its row of the format table.
 */
#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME	v4l2_fourcc('A', 'V', '1', 'F')
#endif

/* Later kernels drop the queue lock around blocking waits by themselves. */
#ifdef DAEDALUS_HAVE_VB2_WAIT_OPS
#define DAEDALUS_VB2_WAIT_OPS \
	.wait_prepare = vb2_ops_wait_prepare, \
	.wait_finish = vb2_ops_wait_finish,
#else
#define DAEDALUS_VB2_WAIT_OPS
#endif

#ifdef DAEDALUS_HAVE_INT_PLATFORM_REMOVE
#define DAEDALUS_PLATFORM_REMOVE remove_new
#else
#define DAEDALUS_PLATFORM_REMOVE remove
#endif

#endif /* _DAEDALUS_COMPAT_H_ */
