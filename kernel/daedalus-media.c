// SPDX-License-Identifier: GPL-2.0-only
/*
 * The media controller graph of a decoder node: the video node's OUTPUT
 * side feeds a decoder entity that feeds the node's CAPTURE side. It is the
 * topology v4l2-mem2mem builds for its drivers; Debian's amd64 kernels do
 * not build v4l2-mem2mem, so it is built here from the media core's
 * helpers, once for each node.
 */
#include <media/media-entity.h>

#include "daedalus.h"

static const u32 daedalus_link_flags = MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED;

static int daedalus_media_entity(struct video_device *vdev, struct media_entity *entity,
				 const char *name, u32 function,
				 struct media_pad *pads, u16 num_pads)
{
	entity->obj_type = MEDIA_ENTITY_TYPE_BASE;
	entity->name = name;
	entity->function = function;
	if (function == MEDIA_ENT_F_IO_V4L) {
		/* The legacy MEDIA_IOC_ENUM_ENTITIES API still reports these. */
		entity->info.dev.major = VIDEO_MAJOR;
		entity->info.dev.minor = vdev->minor;
	}
	return media_entity_pads_init(entity, num_pads, pads);
}

/* Entities are named after the video node: "<name>-source", "-proc", "-sink". */
static int daedalus_media_entities(struct video_device *vdev, struct daedalus_media *m)
{
	int ret;

	snprintf(m->names[0], sizeof(m->names[0]), "%s-source", vdev->name);
	snprintf(m->names[1], sizeof(m->names[1]), "%s-proc", vdev->name);
	snprintf(m->names[2], sizeof(m->names[2]), "%s-sink", vdev->name);

	m->source_pad.flags = MEDIA_PAD_FL_SOURCE;
	ret = daedalus_media_entity(vdev, &m->source, m->names[0],
				    MEDIA_ENT_F_IO_V4L, &m->source_pad, 1);
	if (ret)
		return ret;

	m->proc_pads[0].flags = MEDIA_PAD_FL_SINK;
	m->proc_pads[1].flags = MEDIA_PAD_FL_SOURCE;
	ret = daedalus_media_entity(vdev, &m->proc, m->names[1],
				    MEDIA_ENT_F_PROC_VIDEO_DECODER, m->proc_pads, 2);
	if (ret)
		return ret;

	m->sink_pad.flags = MEDIA_PAD_FL_SINK;
	return daedalus_media_entity(vdev, &m->sink, m->names[2],
				     MEDIA_ENT_F_IO_V4L, &m->sink_pad, 1);
}

static void daedalus_media_remove_entities(struct daedalus_media *m)
{
	if (m->intf) {
		media_remove_intf_links(&m->intf->intf);
		media_devnode_remove(m->intf);
		m->intf = NULL;
	}
	media_device_unregister_entity(&m->source);
	media_device_unregister_entity(&m->proc);
	media_device_unregister_entity(&m->sink);
}

/**
 * daedalus_media_register - build a node's graph and register its media device
 * @mdev: the media device, initialised
 * @vdev: the node's video device, already registered
 * @m: where the graph lives
 *
 * Return: 0 or a negative errno; on error nothing stays registered.
 */
int daedalus_media_register(struct media_device *mdev, struct video_device *vdev,
			    struct daedalus_media *m)
{
	struct media_link *link;
	int ret;

	ret = daedalus_media_entities(vdev, m);
	if (ret)
		return ret;

	/* The removal helpers skip what was never registered: one unwind serves all. */
	ret = media_device_register_entity(mdev, &m->source);
	if (ret)
		goto err;
	ret = media_device_register_entity(mdev, &m->proc);
	if (ret)
		goto err;
	ret = media_device_register_entity(mdev, &m->sink);
	if (ret)
		goto err;

	ret = media_create_pad_link(&m->source, 0, &m->proc, 0, daedalus_link_flags);
	if (ret)
		goto err;
	ret = media_create_pad_link(&m->proc, 1, &m->sink, 0, daedalus_link_flags);
	if (ret)
		goto err;

	m->intf = media_devnode_create(mdev, MEDIA_INTF_T_V4L_VIDEO, 0,
				       VIDEO_MAJOR, vdev->minor);
	if (!m->intf) {
		ret = -ENOMEM;
		goto err;
	}
	link = media_create_intf_link(&m->source, &m->intf->intf, daedalus_link_flags);
	if (!link) {
		ret = -ENOMEM;
		goto err;
	}
	link = media_create_intf_link(&m->sink, &m->intf->intf, daedalus_link_flags);
	if (!link) {
		ret = -ENOMEM;
		goto err;
	}

	ret = media_device_register(mdev);
	if (ret)
		goto err;
	return 0;

err:
	daedalus_media_remove_entities(m);
	return ret;
}

/* Our graph first: media_device_unregister() would unlink, not free, our interface. */
void daedalus_media_unregister(struct media_device *mdev, struct daedalus_media *m)
{
	daedalus_media_remove_entities(m);
	media_device_unregister(mdev);
}
